; Loops: while, for and do-while statements.
[
  (while_statement)
  (for_statement)
  (do_statement)
] @loop
