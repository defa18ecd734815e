// qdqrt inspect: what runs where. The model class and config summary, then
// every quant point in named_modules() order with its resolved plan (kernel,
// dtype, amax, granularity), the count per kind, and an int8 directory's
// metadata. Loads and prepares the model exactly as encode / forward would.

#include "command.h"
#include "core/error.h"
#include "io/checkpoint.h"
#include "io/path_guard.h"
#include "model_options.h"
#include "output.h"
#include "quant/plan_report.h"

namespace qdq::app {
namespace {

struct InspectOptions {
  ModelOptions model;
  OutputOptions out;
};

const std::vector<std::string> kFormats = {"text", "json"};

int run_inspect(InspectOptions& o) {
  prepare_output(o.out, kFormats);
  refuse_overwriting_inputs({o.model.model_dir, o.model.amax_path}, {o.out.path});
  const auto config = load_config(o.model.model_dir);
  auto model = load_model_for(o.model);
  nlohmann::ordered_json r;
  r["model"] = o.model.model_dir;
  r["class"] = model->arch();
  r["family"] = model->family();
  r["config"] = models::config_summary(config);
  nlohmann::ordered_json md = nlohmann::ordered_json::object();
  for (auto& [k, v] : model->int8_metadata()) md[k] = v;
  r["int8_metadata"] = md;
  auto plan = quant::plan_report(model->quant_plan(), quant::float_reasons_of(model->int8_metadata()));
  r["quant_points"] = std::move(plan["quant_points"]);
  r["counts"] = std::move(plan["counts"]);
  std::string text;
  if (o.out.format == "json") {
    text = r.dump(2) + "\n";
  } else {
    text = "model  " + o.model.model_dir + "\nclass  " + model->arch() + " (" + model->family() + ")\n" +
           "config " + r["config"].dump() + "\n";
    if (!md.empty()) text += "int8   " + md.dump() + "\n";
    text += "\n" + quant::plan_report_text(r);
  }
  LineWriter w(o.out);
  w.write(text);
  w.commit();
  return 0;
}

const RegisterCommand reg{
    {"inspect", "Show what runs where: every quant point with its kernel, dtype and amax", 45,
     [](CLI::App& sub, CommonOptions&) {
       auto o = std::make_shared<InspectOptions>();
       add_model_options(sub, o->model);
       add_output_options(sub, o->out, kFormats, "the report: text (a table) or json");
       return std::function<int()>([o] { return run_inspect(*o); });
     }}};

}  // namespace
}  // namespace qdq::app
