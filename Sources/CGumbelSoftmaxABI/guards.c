// The exported functions of include/gumbel_softmax.h. Each that runs library code checks the CPU
// here, in C compiled for the baseline, before it calls the library's Swift function of the same
// name with the prefix gs_swift_ (Sources/GumbelSoftmaxC, all compiled for the tier: with
// -target-cpu haswell even a float argument is moved with an AVX instruction before the first line
// of a Swift function runs). That is the one CPU check of a call. On a CPU that lacks the tier
// nothing of the Swift code ever runs: the calls return GS_UNSUPPORTED_CPU, and the functions that
// report (version, contract, tier, status names, the last error) answer from here.
// Scripts/test/test-tier-check checks that every gs_ function the library exports is defined in this file.
#include "CGumbelSoftmaxABI.h"

#include <CGumbelSoftmaxCPU.h>
#include <pthread.h>
#include <string.h>

// --- The check, once per process ---

static pthread_once_t check_once = PTHREAD_ONCE_INIT;
static int supported;
static char refusal[512];  // the message, on a CPU that lacks the tier
static _Thread_local int refused;  // this thread had GS_UNSUPPORTED_CPU

static void check(void) {
    supported = !gumbel_softmax_cpu_refusal(gumbel_softmax_build_tier(), gumbel_softmax_cpu_features(), refusal,
                                            sizeof refusal);
}

static int cpu_supported(void) {
    pthread_once(&check_once, check);
    return supported;
}

static gs_status refuse(void) {
    refused = 1;
    return GS_UNSUPPORTED_CPU;
}

// --- Every function that runs library code: GS_UNSUPPORTED_CPU, or the Swift function ---

#define GS_FORWARD(name, ...)                                                                     \
    gs_status gs_##name(GS_MAP(GS_PARAMETER, __VA_ARGS__)) {                                        \
        return cpu_supported() ? gs_swift_##name(GS_MAP(GS_ARGUMENT, __VA_ARGS__)) : refuse();      \
    }
GS_FORWARDED(GS_FORWARD)

// --- Version and CPU tier: constants of the build, answered here whatever the CPU ---

const char *gs_version(void) {
    return GS_VERSION;
}

const char *gs_contract_version(void) {
    return GS_CONTRACT_VERSION;
}

const char *gs_build_tier(void) {
    return gumbel_softmax_tier_name(gumbel_softmax_build_tier());
}

int gs_cpu_supported(void) {
    return cpu_supported();
}

// --- Errors ---

// The constants' names, spelled by the preprocessor from the header's enum (a name missing here is
// GS_UNKNOWN_STATUS; the C test checks that none is).
#define GS_STATUS_NAME(status) [status] = #status
static const char *const status_names[] = {
    GS_STATUS_NAME(GS_OK),
    GS_STATUS_NAME(GS_INVALID_TEMPERATURE),
    GS_STATUS_NAME(GS_NAN_LOGIT),
    GS_STATUS_NAME(GS_INFINITE_LOGIT),
    GS_STATUS_NAME(GS_ALL_MASKED_ROW),
    GS_STATUS_NAME(GS_NO_CATEGORIES),
    GS_STATUS_NAME(GS_INVALID_SHAPE),
    GS_STATUS_NAME(GS_SIZE_MISMATCH),
    GS_STATUS_NAME(GS_INVALID_TOP_K),
    GS_STATUS_NAME(GS_INVALID_THREAD_COUNT),
    GS_STATUS_NAME(GS_NULL_POINTER),
    GS_STATUS_NAME(GS_INVALID_ARGUMENT),
    GS_STATUS_NAME(GS_INSUFFICIENT_CATEGORIES),
    GS_STATUS_NAME(GS_INVALID_POINT),
    GS_STATUS_NAME(GS_UNSUPPORTED_CPU),
    GS_STATUS_NAME(GS_OUT_OF_MEMORY),
};

const char *gs_status_name(gs_status status) {
    size_t count = sizeof status_names / sizeof status_names[0];
    const char *name = (int)status >= 0 && (size_t)status < count ? status_names[status] : NULL;
    return name ? name : "GS_UNKNOWN_STATUS";
}

const char *gs_last_error_message(void) {
    if (cpu_supported()) return gs_swift_last_error_message();
    return refused ? refusal : "";
}

size_t gs_copy_last_error_message(char *buffer, size_t capacity) {
    if (cpu_supported()) return gs_swift_copy_last_error_message(buffer, capacity);
    const char *message = refused ? refusal : "";
    size_t length = strlen(message);
    if (buffer && capacity > 0) {
        size_t n = length < capacity - 1 ? length : capacity - 1;
        memcpy(buffer, message, n);
        buffer[n] = 0;
    }
    return length;
}
