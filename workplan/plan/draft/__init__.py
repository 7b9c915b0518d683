"""From the issued document to a plan: reading .docx, .txt and .pdf, the grammar of the phrases
plans use, the departments named, and a draft in the plan language that says where each value
came from and what is left for the office (`workplan draft`)."""
