#include "proxy/worker.hpp"

namespace almagate {

worker::worker(gateway& shared, gauge& connections)
    : connections(connections),
      shared_(shared),
      pool_(io_.get_executor(), shared.upstream_tls()),
      budget_(shared, io_.get_executor()) {}

}  // namespace almagate
