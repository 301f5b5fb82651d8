print("gumbel: not yet built")
