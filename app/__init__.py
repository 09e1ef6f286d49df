"""The regen-lite Gradio app: look at Y, its compact representation Y' and the Y rendered back."""
