"""The face tabs: the talking head (speech -> θ -> video beside speech -> video) and face analysis."""
