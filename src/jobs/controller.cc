// jobs controller
