"""Speech (16 kHz waves): data, time-frequency features, extractors (|STFT|, log-mel, MFCC), renderers
(Griffin-Lim and a learned mel renderer), the named round trips, metrics, figures and recipes."""
