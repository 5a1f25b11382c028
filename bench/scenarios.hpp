#pragma once

#include "common.hpp"

namespace bench {

int run_latency(Args& args);
int run_throughput(Args& args);
int run_takeover(Args& args);
int run_write_floor(Args& args);
int run_lifecycle(Args& args);
int run_populate(Args& args);
int run_list(Args& args);
int run_startup(Args& args);
int run_snapshot(Args& args);
int run_diff(Args& args);
int run_wait_settled(Args& args);
int run_report(Args& args);
int run_memory(Args& args);

}  // namespace bench
