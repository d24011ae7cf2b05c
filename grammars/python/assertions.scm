; Assertions: assert statements.
(assert_statement) @assertion
