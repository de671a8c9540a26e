# The supervising shim, `corral-shim`: built from only the sources it uses (libc and libstdc++,
# no corral_common/fmt) and linked statically, because exec'ing it is on the path of every job:
# bench/exec measures a static shim at well under half the exec cost of the dynamic one.
set(CORRAL_SHIM_SOURCES
  ${PROJECT_SOURCE_DIR}/src/shim_main.cc
  ${PROJECT_SOURCE_DIR}/src/exec/shim.cc
  ${PROJECT_SOURCE_DIR}/src/exec/local/file_io.cc
  ${PROJECT_SOURCE_DIR}/src/exec/local/proc_stat.cc
  ${PROJECT_SOURCE_DIR}/src/exec/local/process_tree.cc
  ${PROJECT_SOURCE_DIR}/src/exec/local/records.cc
  ${PROJECT_SOURCE_DIR}/src/exec/local/replica_layout.cc)

add_executable(corral-shim ${CORRAL_SHIM_SOURCES})
target_include_directories(corral-shim PRIVATE ${PROJECT_SOURCE_DIR}/src)
# The sanitizer runtimes cannot be linked statically.
if(NOT CORRAL_SANITIZE)
  target_link_options(corral-shim PRIVATE -static)
endif()
