#include "policy/budget_store_error.hpp"

#include <string>

namespace almagate {

namespace {

class store_category_impl : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "almagate.store"; }
  std::string message(int ev) const override {
    switch (static_cast<store_errc>(ev)) {
      case store_errc::unavailable: return "budget store unavailable";
      case store_errc::timeout: return "budget store timed out";
      case store_errc::script_error: return "budget store script error";
      case store_errc::bad_reply: return "unexpected reply from budget store";
    }
    return "unknown budget store error";
  }
};

}  // namespace

const boost::system::error_category& store_category() {
  static const store_category_impl category;
  return category;
}

boost::system::error_code make_error_code(store_errc e) {
  return {static_cast<int>(e), store_category()};
}

}  // namespace almagate
