# Run at build time: the files cairn writes about itself, from the same
# tables as its help, into OUT: man/cairn.1 and man/cairn-COMMAND.1 for
# every command of 'cairn --help' ('cairn help --man'), and the shell
# completion scripts completion/cairn (bash) and completion/_cairn (zsh).
# The folders are written afresh, so a command taken out loses its page.
file(REMOVE_RECURSE "${OUT}/man" "${OUT}/completion")
file(MAKE_DIRECTORY "${OUT}/man" "${OUT}/completion")

function(cairn_write file)
  execute_process(COMMAND "${CAIRN}" ${ARGN}
    OUTPUT_FILE "${file}" RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cairn ${ARGN}: exit ${rc}")
  endif()
endfunction()

execute_process(COMMAND "${CAIRN}" --help OUTPUT_VARIABLE help
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cairn --help: exit ${rc}")
endif()
# The commands: the lines "  NAME  summary" between "Commands:" and the
# blank line that ends them.
string(REGEX MATCH "Commands:\n(  [^\n]*\n)+" list "${help}")
string(REGEX MATCHALL "\n  [a-z][a-z0-9-]*" names "${list}")
if(NOT names)
  message(FATAL_ERROR "no commands in 'cairn --help'")
endif()
cairn_write("${OUT}/man/cairn.1" help --man)
foreach(name IN LISTS names)
  string(STRIP "${name}" name)
  cairn_write("${OUT}/man/cairn-${name}.1" help --man ${name})
endforeach()
cairn_write("${OUT}/completion/cairn" completion bash)
cairn_write("${OUT}/completion/_cairn" completion zsh)
