#include "hso/kube/watch_decoder.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace hso::kube {
namespace {

// A stream shaped like the API server's: one JSON object per line, strings holding braces,
// brackets, escaped quotes and backslashes, non-ASCII text, a bookmark and an ERROR event.
const std::string kStream =
    R"({"type":"ADDED","object":{"kind":"Service","metadata":{"name":"a","resourceVersion":"10","annotations":{"note":"{not [a] \"frame\"} \\"}}}})"
    "\n"
    R"({"type":"MODIFIED","object":{"kind":"Service","metadata":{"name":"b","resourceVersion":"11","labels":{"x":"ünï\u00e7ødé }]"}},"spec":{"ports":[{"port":80},{"port":443}]}}})"
    "\n"
    R"({"type":"BOOKMARK","object":{"kind":"Service","metadata":{"resourceVersion":"12","annotations":{"k8s.io/initial-events-end":"true"}}}})"
    "\n"
    R"({"type":"DELETED","object":{"kind":"Service","metadata":{"name":"a","resourceVersion":"13"}}})"
    "\n"
    R"({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 13","reason":"Expired","code":410}})"
    "\n";

struct Seen {
  std::vector<std::string> types;
  std::vector<std::string> versions;
};

Seen decode_in_chunks(const std::string& stream, const std::vector<std::size_t>& cuts,
                      WatchStreamDecoder& decoder) {
  Seen seen;
  auto sink = [&](RawWatchEvent&& event) {
    seen.types.push_back(event.type);
    const auto& metadata = event.object.value("metadata", nlohmann::json::object());
    seen.versions.push_back(metadata.value("resourceVersion", ""));
    return true;
  };
  std::size_t start = 0;
  for (std::size_t cut : cuts) {
    decoder.feed(std::string_view(stream).substr(start, cut - start), sink);
    start = cut;
  }
  decoder.feed(std::string_view(stream).substr(start), sink);
  return seen;
}

std::string read_data_file(const std::string& name) {
  const auto path =
      std::filesystem::path(__FILE__).parent_path() / ".." / ".." / "data" / "kube" / name;
  std::ifstream in(path, std::ios::binary);
  std::ostringstream content;
  content << in.rdbuf();
  return content.str();
}

TEST(WatchStreamDecoder, DecodesWholeStream) {
  WatchStreamDecoder decoder;
  const Seen seen = decode_in_chunks(kStream, {}, decoder);
  EXPECT_EQ(seen.types,
            (std::vector<std::string>{"ADDED", "MODIFIED", "BOOKMARK", "DELETED", "ERROR"}));
  EXPECT_EQ(seen.versions, (std::vector<std::string>{"10", "11", "12", "13", ""}));
  EXPECT_FALSE(decoder.has_partial_event());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
}

TEST(WatchStreamDecoder, SameEventsWhateverTheSplitPoint) {
  WatchStreamDecoder reference;
  const Seen expected = decode_in_chunks(kStream, {}, reference);
  for (std::size_t cut = 0; cut <= kStream.size(); ++cut) {
    WatchStreamDecoder decoder;
    const Seen seen = decode_in_chunks(kStream, {cut}, decoder);
    ASSERT_EQ(seen.types, expected.types) << "split at " << cut;
    ASSERT_EQ(seen.versions, expected.versions) << "split at " << cut;
    ASSERT_FALSE(decoder.has_partial_event());
  }
}

TEST(WatchStreamDecoder, SameEventsWhateverTheTwoSplitPoints) {
  WatchStreamDecoder reference;
  const Seen expected = decode_in_chunks(kStream, {}, reference);
  for (std::size_t first = 0; first <= kStream.size(); first += 23) {
    for (std::size_t second = first; second <= kStream.size(); ++second) {
      WatchStreamDecoder decoder;
      const Seen seen = decode_in_chunks(kStream, {first, second}, decoder);
      ASSERT_EQ(seen.types, expected.types) << "split at " << first << "," << second;
      ASSERT_EQ(seen.versions, expected.versions);
    }
  }
}

TEST(WatchStreamDecoder, OneByteAtATime) {
  std::vector<std::size_t> cuts;
  for (std::size_t i = 1; i < kStream.size(); ++i)
    cuts.push_back(i);
  WatchStreamDecoder decoder;
  const Seen seen = decode_in_chunks(kStream, cuts, decoder);
  EXPECT_EQ(seen.types.size(), 5u);
}

// Real streams captured from kube-apiserver (see tests/data/kube/README.md).
TEST(WatchStreamDecoder, RealApiServerStreamSplitAtEveryOffset) {
  for (const char* file : {"watch_services.ndjson", "watch_endpointslices.ndjson"}) {
    const std::string stream = read_data_file(file);
    ASSERT_FALSE(stream.empty()) << file;
    WatchStreamDecoder reference;
    const Seen expected = decode_in_chunks(stream, {}, reference);
    ASSERT_GE(expected.types.size(), 3u) << file;
    for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
      WatchStreamDecoder decoder;
      const Seen seen = decode_in_chunks(stream, {cut}, decoder);
      ASSERT_EQ(seen.types, expected.types) << file << " split at " << cut;
      ASSERT_EQ(seen.versions, expected.versions) << file << " split at " << cut;
      ASSERT_FALSE(decoder.has_partial_event());
    }
  }
}

TEST(WatchStreamDecoder, HugeObjectInRandomChunks) {
  const std::string big(8 << 20, 'x');
  const std::string stream =
      R"({"type":"ADDED","object":{"metadata":{"resourceVersion":"1"},"data":{"blob":")" + big +
      "\"}}}\n" + R"({"type":"DELETED","object":{"metadata":{"resourceVersion":"2"}}})" + "\n";
  std::mt19937 random(42);
  std::vector<std::size_t> cuts;
  for (std::size_t at = 0; at < stream.size();) {
    at += 1 + random() % 65536;
    if (at < stream.size())
      cuts.push_back(at);
  }
  WatchStreamDecoder decoder;
  std::size_t blob_size = 0;
  std::vector<std::string> types;
  std::size_t start = 0;
  auto sink = [&](RawWatchEvent&& event) {
    types.push_back(event.type);
    if (event.object.contains("data"))
      blob_size = event.object["data"]["blob"].get<std::string>().size();
    return true;
  };
  for (std::size_t cut : cuts) {
    decoder.feed(std::string_view(stream).substr(start, cut - start), sink);
    start = cut;
  }
  decoder.feed(std::string_view(stream).substr(start), sink);
  EXPECT_EQ(types, (std::vector<std::string>{"ADDED", "DELETED"}));
  EXPECT_EQ(blob_size, big.size());
}

TEST(WatchStreamDecoder, RefusesAnEventLargerThanTheLimit) {
  WatchStreamDecoder decoder(1024);
  const std::string head = R"({"type":"ADDED","object":{"data":")";
  auto sink = [](RawWatchEvent&&) { return true; };
  decoder.feed(head, sink);
  EXPECT_THROW(decoder.feed(std::string(2048, 'y'), sink), WatchDecodeError);
}

TEST(WatchStreamDecoder, PartialEventAtEndOfStreamIsReportedNotDelivered) {
  const std::string stream =
      kStream.substr(0, kStream.find('\n') + 1) + R"({"type":"MODIFIED","obj)";
  WatchStreamDecoder decoder;
  const Seen seen = decode_in_chunks(stream, {}, decoder);
  EXPECT_EQ(seen.types, std::vector<std::string>{"ADDED"});
  EXPECT_TRUE(decoder.has_partial_event());
}

TEST(WatchStreamDecoder, LastEventWithoutNewlineIsDelivered) {
  std::string stream = kStream;
  stream.pop_back();
  WatchStreamDecoder decoder;
  EXPECT_EQ(decode_in_chunks(stream, {}, decoder).types.size(), 5u);
  EXPECT_FALSE(decoder.has_partial_event());
}

TEST(WatchStreamDecoder, BlankLinesAndCarriageReturnsBetweenEvents) {
  const std::string stream = "\r\n\n " + kStream.substr(0, kStream.find('\n')) + "\r\n\t\n";
  WatchStreamDecoder decoder;
  EXPECT_EQ(decode_in_chunks(stream, {}, decoder).types, std::vector<std::string>{"ADDED"});
}

TEST(WatchStreamDecoder, SinkCanStopDecoding) {
  WatchStreamDecoder decoder;
  int calls = 0;
  const bool more = decoder.feed(kStream, [&](RawWatchEvent&&) { return ++calls < 2; });
  EXPECT_FALSE(more);
  EXPECT_EQ(calls, 2);
}

TEST(WatchStreamDecoder, MalformedInputThrows) {
  auto sink = [](RawWatchEvent&&) { return true; };
  for (const std::string& bad :
       {std::string("garbage\n"), std::string("[1,2]\n"), std::string(R"({"type":"ADDED"})"),
        std::string(R"({"type":1,"object":{}})"), std::string(R"({"type":"ADDED","object":[]})"),
        std::string(R"({"type":"ADDED","object":{"a":tru}})"), std::string("}\n")}) {
    WatchStreamDecoder decoder;
    EXPECT_THROW(decoder.feed(bad, sink), WatchDecodeError) << bad;
  }
}

}  // namespace
}  // namespace hso::kube
