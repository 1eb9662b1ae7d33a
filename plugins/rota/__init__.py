"""The support rota: who is on support when, generated from the process file."""
