"""The Amazon States Language: parsing, validation and compiled expressions."""
