# Second builds of backup-bench against another SQLite: the same bb_core objects
# (compiled once, against whatever sqlite3.h the main build uses) linked with a
# static library made from an amalgamation. The SQLite C API is backward
# compatible, so nothing but sqlite3.c is compiled again; the binary reports the
# amalgamation's version at run time (`backup-bench __sqlite-info`).
#
# bb_add_sqlite_build(DIR) adds, for DIR's version V (from DIR/sqlite3.h):
#   build/sqlite-V/backup-bench   target bb-sqlite-V
#   build/sqlite-V/sqlite3        target sqlite3-shell-V (when DIR has shell.c)
#   target sqlite-V               both
#   build/sqlite-V/source         the amalgamation directory it was built from
# and appends to the global properties BB_SQLITE_BUILD_BINARIES,
# BB_SQLITE_BUILD_VERSIONS, BB_SQLITE_BUILD_SOURCE_IDS, BB_SQLITE_BUILD_TARGETS
# (tests/CMakeLists.txt reads them).

# The value of `#define NAME "..."` in an sqlite3.h.
function(bb_sqlite_header_string header name out)
  file(STRINGS "${header}" line REGEX "^#define ${name} +\"[^\"]*\"" LIMIT_COUNT 1)
  string(REGEX REPLACE "^[^\"]*\"([^\"]*)\".*$" "\\1" value "${line}")
  set(${out} "${value}" PARENT_SCOPE)
endfunction()

function(bb_add_sqlite_build dir)
  get_filename_component(dir "${dir}" ABSOLUTE BASE_DIR "${CMAKE_SOURCE_DIR}")
  if(NOT EXISTS "${dir}/sqlite3.c" OR NOT EXISTS "${dir}/sqlite3.h")
    message(WARNING "BB_EXTRA_SQLITE: ${dir} has no sqlite3.c and sqlite3.h; no second build for it")
    return()
  endif()
  bb_sqlite_header_string("${dir}/sqlite3.h" SQLITE_VERSION version)
  bb_sqlite_header_string("${dir}/sqlite3.h" SQLITE_SOURCE_ID source_id)
  if(version STREQUAL "")
    message(FATAL_ERROR "BB_EXTRA_SQLITE: no SQLITE_VERSION in ${dir}/sqlite3.h")
  endif()
  if(TARGET sqlite-${version})
    get_target_property(other sqlite-${version} BB_SOURCE_DIR)
    message(FATAL_ERROR "BB_EXTRA_SQLITE: ${dir} and ${other} are both SQLite ${version}; "
                        "build/sqlite-${version}/ can hold only one of them")
  endif()
  set(out "${CMAKE_BINARY_DIR}/sqlite-${version}")
  file(MAKE_DIRECTORY "${out}")
  file(WRITE "${out}/source" "${dir}\n")

  bb_amalgamation_library(bb-sqlite-lib-${version} "${dir}")
  add_executable(bb-sqlite-${version} $<TARGET_OBJECTS:bb_main> $<TARGET_OBJECTS:bb_core>)
  # Only the amalgamation provides sqlite3_*: bb_core's own link line (with the
  # system library) is not used, its other dependencies are.
  target_link_libraries(bb-sqlite-${version} PRIVATE bb-sqlite-lib-${version} ${BB_CORE_DEPS})
  set_target_properties(bb-sqlite-${version} PROPERTIES OUTPUT_NAME backup-bench RUNTIME_OUTPUT_DIRECTORY "${out}")
  set(targets bb-sqlite-${version})
  if(EXISTS "${dir}/shell.c")
    add_executable(sqlite3-shell-${version} "${dir}/shell.c")
    target_link_libraries(sqlite3-shell-${version} PRIVATE bb-sqlite-lib-${version})
    target_compile_options(sqlite3-shell-${version} PRIVATE -w)
    set_target_properties(sqlite3-shell-${version} PROPERTIES OUTPUT_NAME sqlite3 RUNTIME_OUTPUT_DIRECTORY "${out}")
    list(APPEND targets sqlite3-shell-${version})
  endif()
  add_custom_target(sqlite-${version} DEPENDS ${targets})
  set_target_properties(sqlite-${version} PROPERTIES BB_SOURCE_DIR "${dir}")

  set_property(GLOBAL APPEND PROPERTY BB_SQLITE_BUILD_BINARIES "${out}/backup-bench")
  set_property(GLOBAL APPEND PROPERTY BB_SQLITE_BUILD_VERSIONS "${version}")
  set_property(GLOBAL APPEND PROPERTY BB_SQLITE_BUILD_SOURCE_IDS "${source_id}")
  set_property(GLOBAL APPEND PROPERTY BB_SQLITE_BUILD_TARGETS sqlite-${version})
  message(STATUS "Second build: SQLite ${version} from ${dir} -> ${out}/")
endfunction()
