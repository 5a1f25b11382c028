// hso-bench report: gathers the raw JSON files bench/run.sh left in a work folder into one result
// file and prints the table of BENCHMARKS.md (Markdown) with the goals beside the figures.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>

#include "common.hpp"
#include "scenarios.hpp"

namespace bench {
namespace {

json load(const std::filesystem::path& file) {
  if (!std::filesystem::exists(file))
    return nullptr;
  std::ifstream in(file);
  if (file.extension() == ".jsonl") {
    json lines = json::array();
    std::string line;
    while (std::getline(in, line)) {
      if (!line.empty())
        lines.push_back(json::parse(line));
    }
    return lines;
  }
  return json::parse(in);
}

std::string fixed(double value, int digits) {
  return fmt::format("{:.{}f}", value, digits);
}

double number_at(const json& object, const json::json_pointer& pointer) {
  return object.is_null() || !object.contains(pointer) ? 0.0 : object.at(pointer).get<double>();
}

// "min / median / max" of one field over the lines of a .jsonl file.
Summary over(const json& lines, const std::string& field) {
  std::vector<double> values;
  if (lines.is_array()) {
    for (const json& line : lines)
      values.push_back(line.at(field).get<double>());
  }
  return summarize(values);
}

std::string mmm(const Summary& s, int digits, const std::string& unit) {
  return fixed(s.min, digits) + " / " + fixed(s.median, digits) + " / " + fixed(s.max, digits) +
         unit;
}

std::string mib(double kib) {
  return fixed(kib / 1024.0, 1) + " MiB";
}

using RowFn = std::function<void(const std::string& figure, const std::string& measured,
                                 const std::string& goal, const std::string& verdict)>;

std::string verdict_of(bool met) {
  return met ? "met" : "missed";
}

// 2. Throughput against the floor: pods that ask while the operator leads, and pods that wait
// for a new leader (the takeover), each beside the plain loop of the same creates; the pods that
// ask at once also beside the floor whose window holds the same pod patches as theirs.
void throughput_rows(const json& raw, const RowFn& row) {
  const Summary floor_seconds = over(raw.value("floor", json()), "seconds");
  if (floor_seconds.count == 0)
    return;
  const Summary patched_floor = over(raw.value("floor-patched", json()), "seconds");
  const std::string in_flight = raw["floor"][0]["threads"].dump();
  // The operator's time for a scenario, and its ratio to a floor (goal 2).
  const auto versus_floor = [&](const std::string& scenario, const Summary& floor,
                                const std::string& ratio_label) {
    const Summary seconds = over(raw.value(scenario, json()), "seconds");
    if (seconds.count == 0 || floor.count == 0)
      return;
    const double ratio = seconds.median / floor.median;
    row(ratio_label, fixed(ratio, 2), "≤ 1.25", verdict_of(ratio <= 1.25));
  };
  const auto seconds_row = [&](const std::string& scenario, const std::string& what) {
    const Summary seconds = over(raw.value(scenario, json()), "seconds");
    if (seconds.count > 0)
      row("2. " + raw[scenario][0]["pods"].dump() + what, mmm(seconds, 2, " s"), "", "");
  };
  seconds_row("throughput", " pods ask at once → every Service and slice (s, min/median/max)");
  versus_floor("throughput", floor_seconds,
               "2. ratio operator / floor (medians), the annotation patches inside the window");
  versus_floor("throughput", patched_floor,
               "2. ratio operator / floor with the same pod patches in its window (medians)");
  seconds_row("takeover",
              " pods waiting for a leader: Lease taken → every Service and slice (s, "
              "min/median/max)");
  versus_floor("takeover", floor_seconds, "2. ratio takeover / floor (medians)");
  row("2. floor: the same creates (Service, Event, slice) by a plain loop, " + in_flight +
          " in flight (s)",
      mmm(floor_seconds, 2, " s"), "", "");
  if (patched_floor.count > 0) {
    row("2. floor with the pod patches: the same creates while the same pods are patched, 16 in "
        "flight (s)",
        mmm(patched_floor, 2, " s"), "", "");
  }
  if (const json& limited = raw.value("throughput-limited-qps", json()); !limited.is_null()) {
    row("2. the same with a client-side limit, --kube-api-qps=20 (" + limited["pods"].dump() +
            " pods)",
        fixed(limited["seconds"], 1) + " s, " + fixed(limited["pods_per_second"], 1) + " pods/s",
        "(bounded by the limit)", "");
  }
}

// Every result file of the run's folder by its stem (counter snapshots only feed the diffs next to
// them).
json load_results(const std::filesystem::path& dir) {
  json raw = json::object();
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const auto extension = entry.path().extension();
    const std::string stem = entry.path().stem().string();
    const bool snapshot = stem.ends_with("-before") || stem.ends_with("-after");
    if (entry.is_regular_file() && !snapshot && (extension == ".json" || extension == ".jsonl"))
      raw[stem] = load(entry.path());
  }
  return raw;
}

// CoreDNS's coredns_kubernetes_dns_programming_duration_seconds over the same run: from the
// slice's trigger time (whole seconds, so up to 1 s above the truth) to CoreDNS holding it.
void programming_row(const json& run, bool steady, const RowFn& row) {
  const json& programming = run.value("coredns_programming", json());
  if (programming.is_null() || programming["observations"].get<double>() == 0)
    return;
  const auto bound = [](const json& le) {
    return le.is_number() ? "≤ " + fixed(le.get<double>(), 3) + " s" : le.dump();
  };
  row(std::string("1. pod change → CoreDNS holds the slice, CoreDNS's own histogram, ") +
          (steady ? "steady" : "burst") + " (" + fixed(programming["observations"], 0) +
          " slices; whole-second trigger times)",
      "mean " + fixed(programming["mean_seconds"].get<double>() * 1000, 0) + " ms, median " +
          bound(programming["median_at_most_seconds"]) + ", p99 " +
          bound(programming["p99_at_most_seconds"]),
      "", "");
}

// 1. Latency: IP acknowledged to slice seen (and to CoreDNS answering, sampled).
void latency_rows(const json& raw, const RowFn& row) {
  for (const std::string name : {"latency-steady", "latency-burst"}) {
    const json& run = raw.value(name, json());
    if (run.is_null())
      continue;
    const bool steady = run["rate"].get<double>() > 0;
    const json& latency = run["latency_ms"];
    const std::string label =
        steady ? "1. IP acknowledged → EndpointSlice seen, " + run["pods"].dump() + " pods at " +
                     run["rate"].dump() + "/s"
               : "1. IP acknowledged → EndpointSlice seen, burst of " + run["pods"].dump();
    row(label,
        "median " + fixed(latency["median"], 1) + " ms, p99 " + fixed(latency["p99"], 1) +
            " ms, max " + fixed(latency["max"], 1) + " ms",
        steady ? "p99 < 10 ms"
               : "(none; all slices after " + fixed(run["all_slices_seconds"].get<double>(), 2) +
                     " s)",
        steady ? verdict_of(latency["p99"].get<double>() < 10) : "");
    const json& dns = run["dns_ms"];
    if (dns["count"].get<int>() > 0) {
      row(std::string("1. IP acknowledged → CoreDNS answers, ") + (steady ? "steady" : "burst") +
              " (sample of " + dns["count"].dump() + ")",
          "median " + fixed(dns["median"], 1) + " ms, p99 " + fixed(dns["p99"], 1) + " ms" +
              (run["dns_failures"].get<int>() > 0
                   ? ", " + run["dns_failures"].dump() + " without an answer in 20 s"
                   : ""),
          "", "");
    }
    programming_row(run, steady, row);
  }
}

// 3. Writes over a pod's life (Service, Event, slice created; slice patched for the new IP and for
// terminating; Service and slice deleted, by the operator or the garbage collector, once each).
void lifecycle_rows(const json& raw, const RowFn& row) {
  const json& life = raw.value("lifecycle", json());
  if (life.is_null())
    return;
  const double minimum = 7;
  std::string breakdown;
  for (const auto& [key, value] : life["apiserver_writes"].items()) {
    breakdown += (breakdown.empty() ? "" : ", ") + key + " " +
                 fixed(value.get<double>() / life["pods"].get<double>(), 2);
  }
  const double successful = life["apiserver_successful_writes_per_pod"];
  row("3. writes per pod over its life (API server, successful)", fixed(successful, 2),
      "7 (design minimum)", verdict_of(successful <= minimum + 1e-9));
  row("3. writes per pod, every answer, by resource/verb/code", breakdown, "", "");
}

// 3. Writes where there should be none: idle resyncs, restarts.
void quiet_write_rows(const json& raw, const json& meta, const RowFn& row) {
  for (const auto& [name, label] : std::vector<std::pair<std::string, std::string>>{
           {"idle", "3. writes in an idle hour-equivalent of resyncs"},
           {"restart", "3. writes during an operator restart"}}) {
    const json& run = raw.value(name, json());
    if (run.is_null())
      continue;
    std::string extra = "; lease writes " + fixed(run["lease_writes"], 0);
    if (run.contains("endpoints_writes_by_others") && !run["endpoints_writes_by_others"].empty())
      extra += "; Endpoints by kube-controller-manager " + run["endpoints_writes_by_others"].dump();
    if (run.contains("keys")) {
      const double keys = std::max(1.0, run["keys"].get<double>());
      extra += run.contains("reconciles")
                   ? "; " + fixed(run["reconciles"].get<double>() / keys, 1) +
                         " reconciles of each of " + run["keys"].dump() + " keys"
                   : "; " + fixed(run["queue_adds"].get<double>() / keys, 1) +
                         " queue adds per key, " + run["keys"].dump() + " keys";
    }
    row(label, fixed(run["total"], 0) + extra, "0", verdict_of(run["total"].get<double>() == 0));
  }
  if (const json& big = raw.value("big-restart", json()); big.is_array() && !big.empty()) {
    double worst = 0;
    for (const json& run : big)
      worst = std::max(worst, run["total"].get<double>());
    row("3. writes during a restart with " + meta["settings"]["big_pods"].dump() +
            " pods (max over runs)",
        fixed(worst, 0), "0", verdict_of(worst == 0));
  }
}

// The memory samples and the start-ups with many pods, as figures 4 and 6 read them.
struct MemoryRun {
  double empty_rss = 0, grown_rss = 0;
  std::vector<double> steady, peaks, first, ready_seconds;
};

MemoryRun memory_run(const json& raw) {
  MemoryRun run;
  for (const json& sample : raw.value("memory", json::array())) {
    const std::string phase = sample["phase"];
    if (phase == "empty")
      run.empty_rss = sample["rss_kib"];
    else if (phase == "grown")
      run.grown_rss = sample["rss_kib"];
    else if (phase.rfind("steady-", 0) == 0) {
      run.steady.push_back(sample["rss_kib"]);
      run.peaks.push_back(sample["hwm_kib"]);
    }
  }
  for (const auto& [key, value] : raw.items()) {
    if (key.rfind("startup-big-", 0) == 0) {
      run.first.push_back(value["rss_first_kib"]);
      run.ready_seconds.push_back(value["ready_seconds"]);
    }
  }
  return run;
}

// 4. Memory, with issue 15's goals: empty ≤ 10 MiB, steady < 16 MiB, peak ≤ steady + 4 MiB.
void memory_rows(const MemoryRun& run, double big_pods, const RowFn& row) {
  if (run.steady.empty())
    return;
  const Summary s = summarize(run.steady), p = summarize(run.peaks), f = summarize(run.first);
  row("4. resident set, operator on an empty cluster", mib(run.empty_rss), "≤ 10 MiB",
      verdict_of(run.empty_rss <= 10 * 1024));
  row("4. resident set at start (first look), " + fixed(big_pods, 0) + " pods", mib(f.median), "",
      "");
  row("4. peak resident set (VmHWM) through start-up and the first pass, min/median/max",
      mib(p.min) + " / " + mib(p.median) + " / " + mib(p.max), "≤ steady + 4 MiB",
      verdict_of(p.median <= s.median + 4 * 1024));
  row("4. steady resident set with " + fixed(big_pods, 0) + " pods watched, min/median/max",
      mib(s.min) + " / " + mib(s.median) + " / " + mib(s.max), "< 16 MiB",
      verdict_of(s.median < 16 * 1024));
  row("4. steady resident set after the pods were created while it ran", mib(run.grown_rss),
      "< 16 MiB", verdict_of(run.grown_rss < 16 * 1024));
  row("4. bytes per watched pod ((steady − empty) / pods)",
      fixed((s.median - run.empty_rss) * 1024 / big_pods, 0) + " B", "", "");
}

// 5. CPU per pod event, by phase.
void cpu_rows(const json& raw, const RowFn& row) {
  for (const json& phase : raw.value("cpu", json::array())) {
    const double events = phase["pod_events"];
    if (events <= 0)
      continue;
    row("5. CPU per 1,000 pod events, " + phase["phase"].get<std::string>() + " (" +
            fixed(events, 0) + " events)",
        fixed(phase["cpu_seconds"].get<double>() * 1000 / events, 3) + " s", "", "");
  }
}

// 6. Start-up beside the API server's own list of the same pods (goal: within 1 s of it).
void startup_rows(const json& raw, const MemoryRun& run, double big_pods, const RowFn& row) {
  if (run.ready_seconds.empty())
    return;
  const Summary ready = summarize(run.ready_seconds);
  const double list_median = number_at(raw.value("list", json()), "/seconds/median"_json_pointer);
  row("6. process start → /readyz with " + fixed(big_pods, 0) + " pods (s, min/median/max)",
      mmm(ready, 2, " s"), "", "");
  row("6. the API server's paged list of those pods alone (median of 5)",
      fixed(list_median, 2) + " s", "", "");
  row("6. start → ready minus the list", fixed(ready.median - list_median, 2) + " s", "≤ 1 s",
      verdict_of(ready.median - list_median <= 1));
}

// 7. Failover: signal to the new leader's first write.
void failover_rows(const json& raw, const RowFn& row) {
  const json& failover = raw.value("failover", json());
  if (!failover.is_array() || failover.empty()) {
    row("7. failover (SIGKILL, SIGTERM) → new leader's first write",
        "not measured (HSO_BENCH_FAILOVER_REPEAT=0, or see failover.log)", "", "");
    return;
  }
  for (const std::string mode : {"sigkill", "sigterm"}) {
    std::vector<double> millis;
    for (const json& run : failover) {
      if (run["mode"] == mode)
        millis.push_back(run["ms"]);
    }
    if (!millis.empty()) {
      row("7. failover after " + mode + " of the leader → first write of the new leader",
          mmm(summarize(millis), 0, " ms"), "", "");
    }
  }
}

void print_table(const json& rows, const json& meta) {
  std::cout << "| figure | measured | goal | |\n|---|---|---|---|\n";
  for (const json& r : rows) {
    std::cout << "| " << r["figure"].get<std::string>() << " | " << r["measured"].get<std::string>()
              << " | " << r["goal"].get<std::string>() << " | " << r["met"].get<std::string>()
              << " |\n";
  }
  std::cout << "\n" << meta.dump() << "\n";
}

}  // namespace

int run_report(Args& args) {
  const std::filesystem::path dir = args.text("dir");
  const std::string out = args.text("out");
  args.finish();

  const json raw = load_results(dir);
  const json& meta = raw.value("meta", json::object());
  json rows = json::array();
  const RowFn row = [&](const std::string& figure, const std::string& measured,
                        const std::string& goal, const std::string& verdict) {
    rows.push_back({{"figure", figure}, {"measured", measured}, {"goal", goal}, {"met", verdict}});
  };
  const double big_pods = number_at(meta, "/settings/big_pods"_json_pointer);
  const MemoryRun memory = memory_run(raw);
  latency_rows(raw, row);
  throughput_rows(raw, row);
  lifecycle_rows(raw, row);
  quiet_write_rows(raw, meta, row);
  memory_rows(memory, big_pods, row);
  cpu_rows(raw, row);
  startup_rows(raw, memory, big_pods, row);
  failover_rows(raw, row);

  print_table(rows, meta);
  if (!out.empty()) {
    std::ofstream file(out);
    file << json{{"meta", meta}, {"table", rows}, {"raw", raw}}.dump(2) << "\n";
  }
  return 0;
}

}  // namespace bench
