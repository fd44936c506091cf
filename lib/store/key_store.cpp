#include "store/key_store.hpp"

namespace complycli::store {

Result<std::vector<MatterRows>> dump_keystore(KeyStore &from)
{
  std::vector<MatterRows> out;
  for (auto &matter : TRY(from.matters())) {
    MatterRows rows;
    rows.versions = TRY(from.versions(matter.id));
    rows.slot = TRY(from.slot(matter.id));
    rows.wraps = TRY(from.wraps(matter.id));
    rows.chain = TRY(from.chain_wraps(matter.id));
    rows.record_mac = TRY(from.record_mac(matter.id));
    rows.retired = TRY(from.retired(matter.id));
    rows.matter = std::move(matter);
    out.push_back(std::move(rows));
  }
  return out;
}

Result<void> copy_keystore(KeyStore &from, KeyStore &to)
{
  const auto all = TRY(dump_keystore(from));
  return to.write([&]() -> Result<void> {
    if (const auto there = TRY(to.matters()); !there.empty()) {
      return fail_with_hint(Errc::usage, "copy into an empty keystore", "the keystore {} already holds {} matter(s)",
                            to.name(), there.size());
    }
    for (const auto &rows : all) {
      const auto &id = rows.matter.id;
      TRY_VOID(to.insert_matter(rows.matter));
      for (const auto &version : rows.versions) {
        TRY_VOID(to.insert_version(id, version));
      }
      if (rows.slot) {
        TRY_VOID(to.put_slot(id, *rows.slot));
      }
      for (const auto &wrap : rows.wraps) {
        TRY_VOID(to.put_wrap(id, wrap));
      }
      TRY_VOID(to.replace_chain(id, rows.chain));
      if (rows.record_mac) {
        TRY_VOID(to.put_record_mac(id, *rows.record_mac));
      }
      for (const auto &retired : rows.retired) {
        TRY_VOID(to.insert_retired(id, retired));
      }
    }
    return {};
  });
}

} // namespace complycli::store
