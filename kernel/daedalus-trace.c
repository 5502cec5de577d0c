// SPDX-License-Identifier: GPL-2.0
/*
 * daedalus-v4l2: the tracepoints' definitions (trace.h).
 *
 * Copyright (C) 2026 The daedalus-v4l2 authors
 */

#include "daedalus.h"

#define CREATE_TRACE_POINTS
#include "trace.h"
