/* tapeio/lto.c - LTO media identifiers and their native capacities
 * (tapeio/lto.h). */
#include <stddef.h>
#include <string.h>

#include "tapeio/lto.h"

#define GB 1000000000ULL

static const struct lto_media {
	char id[3];
	const char *name;
	uint64_t capacity;
} media[] = {
    {"L1", "LTO-1", 100 * GB},	      {"L2", "LTO-2", 200 * GB},
    {"L3", "LTO-3", 400 * GB},	      {"L4", "LTO-4", 800 * GB},
    {"L5", "LTO-5", 1500 * GB},	      {"L6", "LTO-6", 2500 * GB},
    {"L7", "LTO-7", 6000 * GB},	      {"M8", "LTO-7 type M", 9000 * GB},
    {"L8", "LTO-8", 12000 * GB},      {"L9", "LTO-9", 18000 * GB},
    {"LT", "LTO-3 WORM", 400 * GB},   {"LU", "LTO-4 WORM", 800 * GB},
    {"LV", "LTO-5 WORM", 1500 * GB},  {"LW", "LTO-6 WORM", 2500 * GB},
    {"LX", "LTO-7 WORM", 6000 * GB},  {"LY", "LTO-8 WORM", 12000 * GB},
    {"LZ", "LTO-9 WORM", 18000 * GB},
};

static const struct lto_media *lto_media_of(const char *barcode)
{
	if (!barcode || strlen(barcode) != 8 || !strncmp(barcode, "CLN", 3))
		return NULL;
	for (size_t i = 0; i < sizeof(media) / sizeof(media[0]); i++)
		if (!memcmp(barcode + 6, media[i].id, 2))
			return &media[i];
	return NULL;
}

uint64_t lto_barcode_capacity(const char *barcode)
{
	const struct lto_media *m = lto_media_of(barcode);

	return m ? m->capacity : 0;
}

const char *lto_barcode_generation(const char *barcode)
{
	const struct lto_media *m = lto_media_of(barcode);

	return m ? m->name : NULL;
}
