// The table's cells as text: byte counts and rates in binary units, and the
// sparkline of a minute's rate. UTF-8 block characters where the terminal's
// locale is UTF-8; otherwise, and over a link that mangles them, ASCII
// ".:-=#" so the shape survives any terminal.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace procflow {

// One character per value, scaled to the largest value (0 is a blank, any
// value above 0 at least the lowest mark, so a trickle stays visible).
std::string sparkline(const std::vector<double>& values, bool utf8);

// "12.8KiB/s", "0B/s" (rounded down, like the totals).
std::string rate_text(double bytes_per_second);
// "12.8KiB".
std::string bytes_text(uint64_t bytes);
// "0.2", "12", "1234": connections per second.
std::string per_second_text(double value);

// What a name may put on the screen: control characters (a hostile process
// name moving the cursor) become '?', and so does every non-ASCII character
// when the terminal is not UTF-8 (one '?' per character, not per byte).
std::string printable(std::string_view text, bool utf8);

// `text` cut or padded to exactly `width` terminal columns (one per code
// point), aligned left or right.
std::string fit(std::string_view text, size_t width, bool right = false);

}  // namespace procflow
