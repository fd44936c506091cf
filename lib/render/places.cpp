#include "render/places.hpp"

#include "render/profile_text.hpp"
#include "yaml/document.hpp"

namespace complycli::render {

using json = nlohmann::json;

Result<json> load_regions(const TemplateDirs& dirs)
{
  const auto path = TRY(dirs.find("regions.yaml"));
  json table = TRY(yaml::load_file(path));
  const auto bad = [&]() {
    return fail(Errc::config,
                "{}: needs a \"regions\" mapping of code -> {{country: text, eea: true|false}} and an "
                "\"eea_countries\" list of text",
                path.string());
  };
  if (!table.is_object() || !table.contains("regions") || !table["regions"].is_object() ||
      !table.contains("eea_countries") || !table["eea_countries"].is_array()) {
    return bad();
  }
  json normalised = {{"regions", json::object()}, {"countries", json::object()}, {"with_the", json::object()}};
  if (table.contains("countries_with_the")) {
    if (!table["countries_with_the"].is_array()) {
      return fail(Errc::config, "{}: countries_with_the needs a list of country names", path.string());
    }
    for (const auto& country : table["countries_with_the"]) {
      if (!country.is_string()) {
        return fail(Errc::config, "{}: countries_with_the needs a list of country names", path.string());
      }
      normalised["with_the"][lower(country.get<std::string>())] = true;
    }
  }
  for (const auto& [code, entry] : table["regions"].items()) {
    if (!entry.is_object() || !entry.contains("country") || !entry["country"].is_string() || !entry.contains("eea") ||
        !entry["eea"].is_boolean()) {
      return fail(Errc::config, "{}: regions.{} needs country (text) and eea (true or false)", path.string(), code);
    }
    normalised["regions"][lower(code)] = entry;
    normalised["countries"][lower(entry["country"].get<std::string>())] = entry;
  }
  for (const auto& country : table["eea_countries"]) {
    if (!country.is_string()) {
      return bad();
    }
    normalised["countries"][lower(country.get<std::string>())] = {{"country", country}, {"eea", true}};
  }
  return normalised;
}

Place place_of(const json& regions, const std::string& location)
{
  const auto key = lower(trimmed(location));
  Place place{location, false, false, location};
  for (const char* table : {"regions", "countries"}) {
    if (regions.contains(table) && regions[table].contains(key)) {
      const auto& entry = regions[table][key];
      place = {entry["country"].get<std::string>(), entry["eea"].get<bool>(), true, {}};
      break;
    }
  }
  const bool with_the = regions.contains("with_the") && regions["with_the"].contains(lower(place.country));
  place.in_sentence = with_the ? "the " + place.country : place.country;
  return place;
}

} // namespace complycli::render
