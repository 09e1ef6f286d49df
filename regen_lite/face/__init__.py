"""Faces (the talking-head task): a procedural face drawn from parameters θ, face analysis Y -> θ learned by
analysis-by-synthesis, and speech -> θ -> video beside speech -> video."""
