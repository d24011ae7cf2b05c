; Function definitions (the unit recursa verifies and analyses).
(function_definition) @function
