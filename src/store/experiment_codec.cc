#include "store/experiment_codec.h"

#include <fmt/core.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace corral::store {

using nlohmann::json;

std::string EncodeParams(const ParamSet& params) {
  json j = json::object();
  for (const auto& [name, value] : params) {
    std::visit(
        [&, &name = name](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, double>) {
            j[name] = std::isfinite(v) ? json(v) : json(nullptr);
          } else {
            j[name] = v;
          }
        },
        value);
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<ParamSet> DecodeParams(std::string_view text) {
  try {
    json j = json::parse(text);
    if (!j.is_object()) return Internal("corrupt trial parameters in store: not an object");
    ParamSet params;
    for (const auto& [name, value] : j.items()) {
      if (value.is_boolean()) {
        params.emplace(name, value.get<bool>());
      } else if (value.is_number_integer()) {
        params.emplace(name, value.get<int64_t>());
      } else if (value.is_number_float()) {
        params.emplace(name, value.get<double>());
      } else if (value.is_null()) {
        params.emplace(name, std::numeric_limits<double>::quiet_NaN());
      } else if (value.is_string()) {
        params.emplace(name, value.get<std::string>());
      } else {
        return Internal(fmt::format("corrupt trial parameter \"{}\" in store", name));
      }
    }
    return params;
  } catch (const std::exception& e) {
    return Internal(fmt::format("corrupt trial parameters in store: {}", e.what()));
  }
}

}  // namespace corral::store
