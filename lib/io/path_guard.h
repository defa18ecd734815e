#pragma once
// Nothing the user gave is overwritten. Before a command reads or writes
// anything, every path it will write is compared with every path it reads by
// device and inode: a symlink to an input (stat follows it) and a hard link of
// one (same inode) are caught as surely as the same name. A directory that is
// read (a model directory) counts with every file in it; an output directory
// that replaces an existing one must not hold an input. Standard output counts
// as a write: `qdqrt tokenize -i in.txt >> in.txt` would read what it writes.
#include <string>
#include <vector>

namespace qdq {

// The file of a FILE[:GROUP] tensors argument (as read_tensors_arg splits it).
std::string tensors_arg_file(const std::string& arg);

// Error "<write>: is the input <read>; refusing to overwrite it (choose another output path)".
// Empty strings are skipped; "-" (or "") among `writes` means standard output; "-" among
// `reads` is standard input. `dir_writes` are output directories (quantize -o DIR).
void refuse_overwriting_inputs(const std::vector<std::string>& reads, const std::vector<std::string>& writes,
                               const std::vector<std::string>& dir_writes = {});

}  // namespace qdq
