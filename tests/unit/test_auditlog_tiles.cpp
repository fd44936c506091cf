#include "auditlog/tiles.hpp"

#include <doctest/doctest.h>

using namespace complycli::auditlog;

TEST_CASE("auditlog::tile_path")
{
  // C2SP tlog-tiles: 3-digit groups, all but the last prefixed with x; .p/W for partial tiles.
  CHECK(tile_path(0, 0) == "tile/0/000");
  CHECK(tile_path(0, 5, 17) == "tile/0/005.p/17");
  CHECK(tile_path(1, 999) == "tile/1/999");
  CHECK(tile_path(0, 1000) == "tile/0/x001/000");
  CHECK(tile_path(2, 1234067) == "tile/2/x001/x234/067");
  CHECK(tile_path(-1, 1234067, 1) == "tile/entries/x001/x234/067.p/1");
  CHECK(tile_path(-1, 273, 256) == "tile/entries/273"); // a full tile has no .p
}
