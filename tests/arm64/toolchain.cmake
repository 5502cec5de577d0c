# SPDX-License-Identifier: BSD-2-Clause
# Cross-compiling for arm64 with Debian's toolchain (crossbuild-essential-arm64) and the
# arm64 libraries installed through multiarch (tests/arm64/build).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
