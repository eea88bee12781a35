# Writes a header with every policy/lua/*.lua as a string_view, so deployment needs no
# source tree. Usage: cmake -DLUA_DIR=... -DOUT=... -P embed.cmake
file(GLOB scripts "${LUA_DIR}/*.lua")
list(SORT scripts)
set(body "#pragma once\n// Generated from policy/lua/*.lua by policy/lua/embed.cmake. Do not edit.\n")
string(APPEND body "#include <string_view>\n\nnamespace almagate::lua {\n\n")
foreach(script IN LISTS scripts)
  get_filename_component(name "${script}" NAME_WE)
  file(READ "${script}" text)
  string(APPEND body "inline constexpr std::string_view ${name} = R\"almagate_lua(${text})almagate_lua\";\n\n")
endforeach()
string(APPEND body "}  // namespace almagate::lua\n")
# Only touch the header when it changes, so dependents do not rebuild for nothing.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL body)
  file(WRITE "${OUT}" "${body}")
endif()
