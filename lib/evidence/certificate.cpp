// X.509 certificates: PEM files found by walking, and the certificates the live probe sees.

#include "evidence/certificate.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace complycli::evidence {

namespace {

std::string asn1_date(const ASN1_TIME* time)
{
  struct tm t {};
  if (!time || ASN1_TIME_to_tm(time, &t) != 1) {
    return "";
  }
  return fmt::format("{:04}-{:02}-{:02}", t.tm_year + 1900, t.tm_mon + 1, t.tm_mday);
}

} // namespace

Result<void> add_certificate(LoadState& state, const std::string& resource, X509* cert, const std::string& file,
                             Value line)
{
  char subject[512] = {0};
  X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
  const std::string not_after = asn1_date(X509_get0_notAfter(cert));
  // Whole days from `today` to the expiry (negative when expired).
  int days = 0, seconds = 0;
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> today(ASN1_TIME_new(), ASN1_TIME_free);
  Value days_left;
  if (today && state.today.size() == 10 &&
      ASN1_TIME_set_string(today.get(), (state.today.substr(0, 4) + state.today.substr(5, 2) +
                                         state.today.substr(8, 2) + "000000Z").c_str()) == 1 &&
      ASN1_TIME_diff(&days, &seconds, today.get(), X509_get0_notAfter(cert)) == 1) {
    days_left = int64_t{days};
  }
  std::string key_type = "unknown";
  Value key_bits;
  if (EVP_PKEY* key = X509_get0_pubkey(cert)) {
    key_bits = int64_t{EVP_PKEY_get_bits(key)};
    const int id = EVP_PKEY_get_base_id(key);
    key_type = id == EVP_PKEY_RSA ? "RSA" : id == EVP_PKEY_EC ? "EC" : id == EVP_PKEY_ED25519 ? "Ed25519" : OBJ_nid2sn(id);
  }
  return state.db.insert("tls_certificates", {resource, std::string(subject), not_after, days_left, key_type, key_bits, file, line});
}

Result<void> load_certificates(LoadState& state, const std::filesystem::path& file, const std::string& text)
{
  const std::string name = file.string();
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())), BIO_free);
  if (!bio) {
    return fail(Errc::io, "out of memory");
  }
  // The line of each BEGIN CERTIFICATE marker, in order.
  std::vector<int> lines;
  int line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text.compare(i, 27, "-----BEGIN CERTIFICATE-----") == 0) {
      lines.push_back(line);
    }
    if (text[i] == '\n') {
      ++line;
    }
  }
  std::size_t index = 0;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) {
    std::unique_ptr<X509, decltype(&X509_free)> owned(cert, X509_free);
    const int at = index < lines.size() ? lines[index] : 1;
    TRY_VOID(add_certificate(state, index == 0 ? "certificate " + file.filename().string()
                                               : fmt::format("certificate {} #{}", file.filename().string(), index + 1),
                             cert, name, int64_t{at}));
    ++index;
  }
  ERR_clear_error();
  if (index == 0) {
    return add_error(state, name, lines.empty() ? 1 : lines.front(), "certificate", "no PEM certificate could be read");
  }
  return add_input(state, name, "certificate");
}

} // namespace complycli::evidence
