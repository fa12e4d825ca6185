"""Photo to words: offline OCR and ImageNet labels, or a transformers captioner."""
