# cmake -DHELP2MAN=... -DBINARY=... -DOUTPUT=... -DVERSION=... -P make_manpage.cmake
# help2man reads `darkcharge --help` and `--version`; each subcommand's --help goes in as a
# section of its own through an include file.
set(include_file ${OUTPUT}.h2m)
file(WRITE ${include_file} "")
foreach(command simulate exact steady)
  execute_process(COMMAND ${BINARY} ${command} --help OUTPUT_VARIABLE help RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${BINARY} ${command} --help failed")
  endif()
  string(REPLACE "\\" "\\\\" help "${help}")
  file(APPEND ${include_file} "[COMMAND: ${command}]\n.nf\n${help}\n.fi\n\n")
endforeach()
file(APPEND ${include_file} "[SEE ALSO]\nThe Python module: python3 -c 'import darkcharge; help(darkcharge)'.\n"
     "Quach & Munro, Phys. Rev. Applied 14, 024092 (2020).\n")
execute_process(
  COMMAND ${HELP2MAN} --no-info --no-discard-stderr --version-string=${VERSION}
          --name=quantum-jump\ Monte\ Carlo\ for\ the\ dark-state\ quantum\ battery
          --include=${include_file} --output=${OUTPUT} ${BINARY}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "help2man failed")
endif()
