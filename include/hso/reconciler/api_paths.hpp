#pragma once

#include <string>
#include <string_view>

namespace hso::reconciler::paths {

std::string services(std::string_view namespace_name);
std::string service(std::string_view namespace_name, std::string_view name);
std::string endpoint_slices(std::string_view namespace_name);
std::string endpoint_slice(std::string_view namespace_name, std::string_view name);
std::string endpoints_collection(std::string_view namespace_name);
std::string endpoints(std::string_view namespace_name, std::string_view name);
std::string events(std::string_view namespace_name);
std::string event(std::string_view namespace_name, std::string_view name);

}  // namespace hso::reconciler::paths
