// Umbrella header for librdkafka; no C code lives here (STYLE.md §2).
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
