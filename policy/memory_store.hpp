#pragma once
// The in-process store: one instance of the gateway, counts lost on restart.
// All store instances made by one factory share one mutex-guarded state (see budget_store.hpp).

#include "policy/budget_store.hpp"

namespace almagate {

store_factory make_memory_store_factory();

}  // namespace almagate
