#include "core/stats.h"

static const char *const names[STAT_MAX] = {
#define STAT(name, desc) #name,
#include "core/stats_all.def"
#undef STAT
};

static const char *const descs[STAT_MAX] = {
#define STAT(name, desc) desc,
#include "core/stats_all.def"
#undef STAT
};

const char *stat_name(unsigned id) { return id < STAT_MAX ? names[id] : "?"; }
const char *stat_desc(unsigned id) { return id < STAT_MAX ? descs[id] : "?"; }
