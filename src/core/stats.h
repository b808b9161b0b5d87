/*
 * Per-stack counters, one per drop reason and event. Each module lists its
 * counters in its own .def file (STAT(name, "what it counts")); names carry
 * the module prefix and are printed as they are by the `stats` command.
 */
#ifndef USAGI_CORE_STATS_H
#define USAGI_CORE_STATS_H

enum stat_id {
#define STAT(name, desc) STAT_##name,
#include "core/stats_all.def"
#undef STAT
	STAT_MAX
};

#define STAT_INC(st, name) ((st)->stats[STAT_##name]++)
#define STAT_ADD(st, name, n) ((st)->stats[STAT_##name] += (n))
#define STAT_GET(st, name) ((st)->stats[STAT_##name])

/* Name and description of counter @id. */
const char *stat_name(unsigned id);
const char *stat_desc(unsigned id);

#endif
