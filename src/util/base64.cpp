#include "hso/util/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace hso {

std::string encode_base64(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');  // and OpenSSL's terminating NUL
  const int length = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(bytes.data()),
                                     static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(std::max(length, 0)));
  return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
  std::string symbols;
  symbols.reserve(text.size());
  for (const char c : text) {
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t')
      symbols.push_back(c);
  }
  // Padding only at the end, at most two; OpenSSL wants whole groups of four, so add what is
  // missing (and nothing a group of one symbol could never be).
  const std::size_t data =
      symbols.find('=') == std::string::npos ? symbols.size() : symbols.find('=');
  const std::size_t padding = symbols.size() - data;
  if (padding > 2 || symbols.find_first_not_of('=', data) != std::string::npos || data % 4 == 1 ||
      (padding > 0 && symbols.size() % 4 != 0)) {
    return std::nullopt;
  }
  const std::size_t missing = (4 - data % 4) % 4;
  symbols.resize(data);
  symbols.append(missing, '=');
  std::string out(symbols.size() / 4 * 3, '\0');
  const int length = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                     reinterpret_cast<const unsigned char*>(symbols.data()),
                                     static_cast<int>(symbols.size()));
  if (length < 0)
    return std::nullopt;  // a character outside the alphabet
  // EVP_DecodeBlock counts the padding as zero bytes.
  out.resize(static_cast<std::size_t>(length) - missing);
  return out;
}

}  // namespace hso
