# Runs a benchmark program with tiny parameters and checks that it exits 0, that every stdout
# line is a JSON object with "bench" and "pass" members, and that every expected figure appears.
# Usage: cmake -DBENCH=<program> "-DARGS=<arg;arg;...>" "-DEXPECT=<bench;bench;...>" -P check_smoke.cmake
cmake_minimum_required(VERSION 3.25)
if(NOT BENCH OR NOT EXPECT)
  message(FATAL_ERROR "pass -DBENCH=<program>, -DARGS=<its arguments> and -DEXPECT=<bench names>")
endif()
get_filename_component(name "${BENCH}" NAME)
execute_process(
  COMMAND ${BENCH} ${ARGS}
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors
  TIMEOUT 100)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${name} exited with '${result}'\nstdout:\n${output}\nstderr:\n${errors}")
endif()
string(STRIP "${output}" output)
if(output STREQUAL "")
  message(FATAL_ERROR "${name} printed nothing\nstderr:\n${errors}")
endif()
# Semicolons would split lines of the CMake list; the benchmarks' JSON never contains any.
string(REPLACE "\n" ";" lines "${output}")
set(benches "")
foreach(line IN LISTS lines)
  string(JSON bench ERROR_VARIABLE json_error GET "${line}" bench)
  if(json_error)
    message(FATAL_ERROR "not a JSON line with a \"bench\" member: '${line}' (${json_error})")
  endif()
  string(JSON pass ERROR_VARIABLE pass_error GET "${line}" pass)
  if(pass_error)
    message(FATAL_ERROR "line without \"pass\": '${line}'")
  endif()
  list(APPEND benches "${bench}")
endforeach()
foreach(expected IN LISTS EXPECT)
  if(NOT expected IN_LIST benches)
    message(FATAL_ERROR "no \"${expected}\" line in:\n${output}")
  endif()
endforeach()
message(STATUS "${name} printed ${benches}")
