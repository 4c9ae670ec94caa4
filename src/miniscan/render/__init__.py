"""Off-screen pictures with pyvista/VTK (headless EGL). See gl.py for the GL probe."""
