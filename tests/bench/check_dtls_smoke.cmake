# Runs bench_dtls_handshakes with tiny parameters and checks that it exits 0 and that every
# stdout line is a JSON object with "bench" and "pass" members, both benches present.
# Usage: cmake -DBENCH=<path> -P check_dtls_smoke.cmake
cmake_minimum_required(VERSION 3.25)
if(NOT BENCH)
  message(FATAL_ERROR "pass -DBENCH=<path to bench_dtls_handshakes>")
endif()
execute_process(
  COMMAND ${BENCH} --duration-ms 300 --sessions 10 --repetitions 1
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE errors
  TIMEOUT 110)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "bench_dtls_handshakes exited with '${result}'\nstdout:\n${output}\nstderr:\n${errors}")
endif()
string(STRIP "${output}" output)
if(output STREQUAL "")
  message(FATAL_ERROR "bench_dtls_handshakes printed nothing\nstderr:\n${errors}")
endif()
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
foreach(expected IN ITEMS dtls_handshakes dtls_session_memory)
  if(NOT expected IN_LIST benches)
    message(FATAL_ERROR "no \"${expected}\" line in:\n${output}")
  endif()
endforeach()
message(STATUS "bench_dtls_handshakes printed ${benches}")
