"""Images (Fashion-MNIST 28x28): data, extractors (explicit rules and autoencoders), priors, renderers,
the named pipelines with their direct baseline, metrics, figures and training recipes."""
