# One static library per component (the folders of src/ and include/hso/), linked along the
# allowed edges of the table below and nothing else. DEVELOPMENT.md draws the same layers.
#
# How an upward include becomes a compile error: every header lives in include/hso/<component>/,
# and no target sees include/ itself. Each component gets an include root of its own in the build
# folder, <build>/layers/<component>/include, holding one symbolic link, hso/<component>, to its
# headers. A library's include roots reach its users through target_link_libraries only, so a
# component sees the headers of itself and of what it links (and what those link), and an
# `#include "hso/<higher>/..."` fails with "No such file or directory". The roots end in
# include/hso/<component>/, so .clang-tidy's HeaderFilterRegex still matches the headers.

add_library(hso_build_info INTERFACE)
target_include_directories(hso_build_info INTERFACE ${CMAKE_BINARY_DIR}/generated)

# hso_component(<name> [DIR <folder>] [DEPENDS <component>...] [LIBS <external target>...])
# The folder under src/ and include/hso/ is <name> unless DIR names a nested one (reconciler/plan
# for reconciler_plan); a nested folder's sources are its own library, not its parent's (the
# parent's glob does not descend), and its include root holds only that folder.
function(hso_component name)
  cmake_parse_arguments(arg "" "DIR" "DEPENDS;LIBS" ${ARGN})
  if(NOT arg_DIR)
    set(arg_DIR ${name})
  endif()
  set(root ${CMAKE_BINARY_DIR}/layers/${name}/include)
  get_filename_component(parent ${root}/hso/${arg_DIR} DIRECTORY)
  file(MAKE_DIRECTORY ${parent})
  file(CREATE_LINK ${CMAKE_SOURCE_DIR}/include/hso/${arg_DIR} ${root}/hso/${arg_DIR} SYMBOLIC)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/${arg_DIR}/*.cpp)
  add_library(hso_${name} STATIC ${sources})
  target_include_directories(hso_${name} PUBLIC ${root})
  target_compile_options(hso_${name} PRIVATE ${HSO_WARNINGS})
  list(TRANSFORM arg_DEPENDS PREPEND hso_)
  target_link_libraries(hso_${name} PUBLIC ${arg_DEPENDS} ${arg_LIBS})
endfunction()

# The allowed edges, lowest layer first. A component may include only from itself and from what
# it lists here (and, through them, from lower layers).
hso_component(util
  LIBS Threads::Threads OpenSSL::Crypto nlohmann_json::nlohmann_json fmt::fmt)
hso_component(kube DEPENDS util
  LIBS hso_build_info PkgConfig::CPP_HTTPLIB OpenSSL::SSL OpenSSL::Crypto spdlog::spdlog yaml-cpp)
hso_component(metrics DEPENDS kube util LIBS hso_build_info prometheus-cpp::core)
# The narrow metrics interfaces alone (metrics/sinks.hpp: enums and no-op sinks, no library), for
# a component that must not see kube/, which hso_metrics links: the reconciler's plan.
add_library(hso_metrics_sinks INTERFACE)
set(sinks_root ${CMAKE_BINARY_DIR}/layers/metrics_sinks/include)
file(MAKE_DIRECTORY ${sinks_root}/hso/metrics)
file(CREATE_LINK ${CMAKE_SOURCE_DIR}/include/hso/metrics/sinks.hpp
     ${sinks_root}/hso/metrics/sinks.hpp SYMBOLIC)
target_include_directories(hso_metrics_sinks INTERFACE ${sinks_root})
hso_component(informer DEPENDS kube metrics util LIBS spdlog::spdlog)
hso_component(workqueue DEPENDS metrics util)
# The generic controller runtime (queue, workers, sync-gated start, resync, drain): keys only, so
# it links nothing that knows a Service, a pod or an annotation.
hso_component(runtime DEPENDS metrics util workqueue LIBS spdlog::spdlog)
hso_component(leaderelection DEPENDS kube metrics util LIBS spdlog::spdlog)
hso_component(http DEPENDS kube metrics util
  LIBS PkgConfig::CPP_HTTPLIB OpenSSL::SSL spdlog::spdlog)
# The reconciler's plan: what to write, decided from the pods and the cached objects, without I/O.
# It links neither kube/ nor informer/ (nor metrics/, which links kube/), so an include of a
# client, a request or a cache there fails to compile; the reconciler around it does the I/O.
hso_component(reconciler_plan DIR reconciler/plan DEPENDS metrics_sinks util)
hso_component(reconciler DEPENDS kube metrics reconciler_plan util LIBS spdlog::spdlog)
hso_component(controller
  DEPENDS informer kube metrics reconciler runtime util workqueue LIBS spdlog::spdlog)
hso_component(config DEPENDS util LIBS hso_build_info CLI11::CLI11)
hso_component(app
  DEPENDS config controller http informer kube leaderelection metrics reconciler runtime util
    workqueue
  LIBS hso_build_info spdlog::spdlog)
