# darkcharge.1, generated from the tool's own --help (help2man) at build time, so the man
# page never drifts from the options. Skipped with a message if help2man is missing.
find_program(HELP2MAN help2man)
if(HELP2MAN)
  set(manpage ${PROJECT_BINARY_DIR}/darkcharge.1)
  add_custom_command(
    OUTPUT ${manpage}
    COMMAND ${CMAKE_COMMAND} -DHELP2MAN=${HELP2MAN} -DBINARY=$<TARGET_FILE:darkcharge_cli>
            -DOUTPUT=${manpage} -DVERSION=${PROJECT_VERSION}
            -P ${PROJECT_SOURCE_DIR}/cmake/make_manpage.cmake
    DEPENDS darkcharge_cli ${PROJECT_SOURCE_DIR}/cmake/make_manpage.cmake
    COMMENT "Generating darkcharge.1 with help2man")
  add_custom_target(darkcharge_manpage ALL DEPENDS ${manpage})
  install(FILES ${manpage} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
else()
  message(STATUS "help2man not found: no man page")
endif()
