/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The daemon-wide bound on decoder threads.
 */

#include "thread_budget.h"

#include <unistd.h>

namespace daedalus {

unsigned int onlineCpus()
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	return cpus > 0 ? static_cast<unsigned int>(cpus) : 1;
}

} /* namespace daedalus */
