#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hso {

// Base64 with the standard alphabet and padding, through OpenSSL.
std::string encode_base64(std::string_view bytes);
// Standard alphabet; padding optional, whitespace anywhere ignored (kubeconfig data fields are
// often wrapped). nullopt when malformed.
std::optional<std::string> decode_base64(std::string_view text);

}  // namespace hso
