# `cmake --install`: headers, the library, an exported CMake package darkcharge::darkcharge
# (find_package(darkcharge)) and a pkg-config file darkcharge.pc. The CLI, its man page and
# the Python module install themselves next to where they are built.
include(CMakePackageConfigHelpers)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/darkcharge
                  ${PROJECT_BINARY_DIR}/include/darkcharge  # version.hpp
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS darkcharge EXPORT darkchargeTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
set(DARKCHARGE_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/darkcharge)
install(EXPORT darkchargeTargets NAMESPACE darkcharge:: DESTINATION ${DARKCHARGE_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/darkchargeConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/darkchargeConfig.cmake
                              INSTALL_DESTINATION ${DARKCHARGE_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/darkchargeConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/darkchargeConfig.cmake
              ${PROJECT_BINARY_DIR}/darkchargeConfigVersion.cmake
        DESTINATION ${DARKCHARGE_CMAKE_DIR})

file(RELATIVE_PATH DARKCHARGE_PC_TO_PREFIX /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
configure_file(${PROJECT_SOURCE_DIR}/cmake/darkcharge.pc.in ${PROJECT_BINARY_DIR}/darkcharge.pc
               @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/darkcharge.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE ${PROJECT_SOURCE_DIR}/CITATION.cff
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# Test: install into a temporary prefix, build examples/consumer against it (CMake package
# and pkg-config), import the installed Python package.
if(DARKCHARGE_BUILD_TESTS AND DARKCHARGE_BUILD_CLI)
  set(consumer_python none)
  if(DARKCHARGE_BUILD_PYTHON)
    set(consumer_python ${Python_EXECUTABLE})
  endif()
  add_test(NAME install_and_consume
           COMMAND bash ${PROJECT_SOURCE_DIR}/tests/install_and_consume.sh ${PROJECT_BINARY_DIR}
                   ${PROJECT_SOURCE_DIR} ${consumer_python})
  set_tests_properties(install_and_consume PROPERTIES TIMEOUT 300 LABELS install)
endif()
