; Loops: while and for statements.
[
  (while_statement)
  (for_statement)
] @loop
