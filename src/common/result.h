#pragma once

#include <cassert>
#include <utility>
#include <variant>

#include "common/status.h"

namespace corral {

// A value or the Status saying why there is none.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(v_).ok() && "Result constructed from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace corral

#define CORRAL_CONCAT_INNER(a, b) a##b
#define CORRAL_CONCAT(a, b) CORRAL_CONCAT_INNER(a, b)
// `CORRAL_ASSIGN_OR_RETURN(auto x, Compute());` binds x or returns the error Status.
#define CORRAL_ASSIGN_OR_RETURN(decl, expr)                              \
  auto CORRAL_CONCAT(corral_result_, __LINE__) = (expr);                \
  if (!CORRAL_CONCAT(corral_result_, __LINE__).ok())                    \
    return CORRAL_CONCAT(corral_result_, __LINE__).status();            \
  decl = std::move(CORRAL_CONCAT(corral_result_, __LINE__)).value()
