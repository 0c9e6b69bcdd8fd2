// Placeholder so the package graph resolves while the plugin is written; delete once other files exist.
import Kernel
